//! A plain WASI command: a real component, but of the `wasi:cli/command` world, not propcast's.

fn main() {
    println!("I am a command, not an exporter");
}

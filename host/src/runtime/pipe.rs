//! stdout and stderr of a run: memory pipes of a fixed size that remember, as state, that the
//! guest tried to write past them, so a breach is known from a flag rather than read from the
//! text of wasmtime-wasi's error (which a wasmtime upgrade could reword).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// A memory pipe of `capacity` bytes that notes a refused write.
#[derive(Clone)]
pub(crate) struct BoundedPipe {
    inner: MemoryOutputPipe,
    refused: Arc<AtomicBool>,
}

impl BoundedPipe {
    pub(crate) fn new(capacity: usize) -> BoundedPipe {
        BoundedPipe {
            inner: MemoryOutputPipe::new(capacity),
            refused: Arc::new(AtomicBool::new(false)),
        }
    }

    /// What was written.
    pub(crate) fn contents(&self) -> bytes::Bytes {
        self.inner.contents()
    }

    /// Whether a write was refused for want of room.
    pub(crate) fn refused_a_write(&self) -> bool {
        self.refused.load(Ordering::SeqCst)
    }
}

impl IsTerminal for BoundedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for BoundedPipe {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    // The WASIp3 stream, which this host does not link: writes there stop at the capacity.
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        self.inner.async_stream()
    }
}

impl OutputStream for BoundedPipe {
    fn write(&mut self, bytes: bytes::Bytes) -> Result<(), StreamError> {
        let written = self.inner.write(bytes);
        if written.is_err() {
            self.refused.store(true, Ordering::SeqCst);
        }
        written
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        self.inner.flush()
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        self.inner.check_write()
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for BoundedPipe {
    async fn ready(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_past_the_capacity_is_refused_and_noted() {
        let pipe = BoundedPipe::new(4);
        let mut stream = pipe.p2_stream();
        stream.write(bytes::Bytes::from_static(b"abc")).unwrap();
        assert!(!pipe.refused_a_write());
        assert!(stream.write(bytes::Bytes::from_static(b"de")).is_err());
        assert!(pipe.refused_a_write());
        assert_eq!(&pipe.contents()[..], b"abc");
    }
}

//! Deployment: `deploy/deploy.py --dry-run` prints exactly the gcloud commands of the golden
//! file for the project's config file (one Cloud Run Job and one Cloud Scheduler trigger per
//! job, in New York time, and the backfill job), and refuses a destination that is not a
//! bucket. The container image's build is an ignored test, for machines with a Docker daemon.

use std::process::Command;

use propcast_e2e::{propcast_bin, root};

fn deploy(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .arg(root().join("deploy/deploy.py"))
        .args(args)
        .arg("--propcast")
        .arg(propcast_bin())
        .output()
        .expect("python3 runs")
}

const ARGS: [&str; 13] = [
    "--dry-run",
    "--project",
    "my-project",
    "--region",
    "us-east1",
    "--image",
    "us-docker.pkg.dev/my-project/propcast/propcast:v1",
    "--dataset",
    "nba",
    "--service-account",
    "propcast@my-project.iam.gserviceaccount.com",
    "--scheduler-account",
    "scheduler@my-project.iam.gserviceaccount.com",
];

#[test]
fn the_dry_run_prints_the_golden_gcloud_commands() {
    let mut args = ARGS.to_vec();
    args.extend(["--out", "gs://my-site/v1"]);
    let out = deploy(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let golden = root().join("deploy/testdata/dry-run.txt");
    let want = std::fs::read_to_string(&golden).unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    assert!(
        got == want,
        "the dry run differs from `{}`; if the change is meant, regenerate it:\n  python3 \
         deploy/deploy.py {} --out gs://my-site/v1 > deploy/testdata/dry-run.txt\n--- want\n\
         {want}\n--- got\n{got}",
        golden.display(),
        ARGS.join(" ")
    );
    // Each job's trigger carries its own schedule, in the file's zone.
    for line in [
        "--schedule '0 5 * * *' --time-zone America/New_York",
        "--schedule '0 13 * * *' --time-zone America/New_York",
        "--schedule '0 6 * * SUN' --time-zone America/New_York",
    ] {
        assert!(got.contains(line), "{line}");
    }
}

#[test]
fn a_destination_that_is_not_a_bucket_is_refused() {
    let mut args = ARGS.to_vec();
    args.extend(["--out", "out"]);
    let out = deploy(&args);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--out `out` is not a Cloud Storage destination (gs://BUCKET/PREFIX)"),
        "{stderr}"
    );
}

/// A full build of the host and plugins inside the image, where a Docker daemon is:
/// `cargo test --release -p propcast-e2e --test deploy -- --ignored`.
#[test]
#[ignore = "needs a Docker daemon and a full build in the image; run with --ignored"]
fn the_container_image_builds() {
    let built = Command::new("docker")
        .args(["build", "--tag", "propcast-e2e:latest", "."])
        .current_dir(root())
        .status()
        .unwrap();
    assert!(built.success());
    let listed = Command::new("docker")
        .args(["run", "--rm", "propcast-e2e:latest", "jobs"])
        .output()
        .unwrap();
    assert!(listed.status.success());
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(stdout.contains("daily-results"), "{stdout}");
}

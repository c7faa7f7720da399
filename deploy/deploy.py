#!/usr/bin/env python3
"""Deploys propcast's scheduled jobs to Google Cloud: one Cloud Run Job and one Cloud Scheduler
trigger per job of the config file, and a Cloud Run Job for backfills.

The jobs come from the config file through `propcast jobs --json` (the binary reads the file, so
its rules are written once; pass the same file the image ships, as the jobs run with that one):
each becomes a Cloud Run Job `propcast-<name>` running `propcast run --wait-for-data 2h` in the
image with PROPCAST_JOB_NAME=<name>, and a Cloud Scheduler job that runs it on the job's schedule in
the file's time zone (America/New_York). `propcast-backfill` runs `propcast backfill` as
parallel tasks, each taking its share of the dates (CLOUD_RUN_TASK_INDEX/COUNT); always execute
it with the range (without `--args` every task stops on the missing `--from`), e.g.

    gcloud run jobs execute propcast-backfill --region REGION \\
        --args=backfill,--from,2020-10-01,--to,2024-04-30,--game-days

Usage:

    deploy/deploy.py --project P --region R --image IMAGE --dataset D --out gs://BUCKET/PREFIX \\
        --service-account SA [--scheduler-account SA2] [--config propcast.toml] \\
        [--propcast target/release/propcast] [--backfill-tasks 4] [--wait-for-data 2h] \\
        [--task-timeout 3h] [--dry-run]

--dry-run prints the exact gcloud commands and runs none. Without it, each command runs in turn
(a Scheduler job that exists is updated, not created) and the script stops at the first failure.
docs/operations.md lists the roles the service accounts need.
"""

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Deploy propcast's scheduled jobs as Cloud Run Jobs with Cloud Scheduler triggers."
    )
    parser.add_argument("--project", required=True, help="the Google Cloud project")
    parser.add_argument("--region", required=True, help="the region of the jobs, e.g. us-east1")
    parser.add_argument("--image", required=True, help="the container image (Dockerfile)")
    parser.add_argument("--dataset", required=True, help="the BigQuery dataset of the warehouse")
    parser.add_argument("--out", required=True, help="where to publish: gs://BUCKET/PREFIX")
    parser.add_argument(
        "--service-account", required=True, help="the account the jobs run as (reads BigQuery, writes the bucket)"
    )
    parser.add_argument(
        "--scheduler-account",
        help="the account Cloud Scheduler uses to start the jobs (run.invoker) [default: --service-account]",
    )
    parser.add_argument("--config", default=str(ROOT / "propcast.toml"), help="the config file [default: propcast.toml]")
    parser.add_argument(
        "--propcast",
        default=str(ROOT / "target" / "release" / "propcast"),
        help="the propcast binary that reads the config file [default: target/release/propcast]",
    )
    parser.add_argument("--backfill-tasks", type=int, default=4, help="parallel tasks of the backfill job [default: 4]")
    parser.add_argument(
        "--wait-for-data", default="2h", help="how long a scheduled run waits for its data [default: 2h]"
    )
    parser.add_argument(
        "--task-timeout", default="3h", help="Cloud Run's limit on one run, above --wait-for-data [default: 3h]"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the gcloud commands; run none")
    args = parser.parse_args(argv)
    if not args.out.startswith("gs://"):
        parser.error(f"--out `{args.out}` is not a Cloud Storage destination (gs://BUCKET/PREFIX)")
    if args.backfill_tasks < 1:
        parser.error("--backfill-tasks must be at least 1")
    return args


def read_jobs(propcast, config):
    """The zone and the jobs of `config`, as `propcast jobs --json` reads them."""
    try:
        done = subprocess.run(
            [propcast, "jobs", "--json", "--config", config], capture_output=True, text=True, check=False
        )
    except OSError as e:
        sys.exit(f"deploy: cannot run `{propcast}` ({e}); build it with `cargo build --release` or pass --propcast")
    if done.returncode != 0:
        sys.exit(f"deploy: `propcast jobs` failed on `{config}`:\n{done.stderr.strip()}")
    document = json.loads(done.stdout)
    if not document["jobs"]:
        sys.exit(f"deploy: `{config}` declares no jobs")
    return document["time_zone"], document["jobs"]


def commands(args, zone, jobs):
    """Every gcloud command of the deployment, as (argv, scheduler job name or None)."""
    invoker = args.scheduler_account or args.service_account
    common_env = f"PROPCAST_PROJECT={args.project},PROPCAST_DATASET={args.dataset},PROPCAST_OUT={args.out}"
    where = ["--project", args.project, "--region", args.region]
    out = []
    for job in jobs:
        name = f"propcast-{job['name']}"
        out.append(
            (
                ["gcloud", "run", "jobs", "deploy", name, "--image", args.image, *where,
                 "--service-account", args.service_account,
                 "--set-env-vars", f"PROPCAST_JOB_NAME={job['name']},{common_env}",
                 # A run that starts before the data waits for it in the process (Cloud Run
                 # retries a failed task at once, so retries cannot be the wait); then exit 3.
                 "--args", f"run,--wait-for-data,{args.wait_for_data}",
                 "--max-retries", "2", "--task-timeout", args.task_timeout],
                None,
            )
        )
        uri = (
            f"https://run.googleapis.com/v2/projects/{args.project}/locations/{args.region}"
            f"/jobs/{name}:run"
        )
        out.append(
            (
                ["gcloud", "scheduler", "jobs", "create", "http", name,
                 "--project", args.project, "--location", args.region,
                 "--schedule", job["schedule"], "--time-zone", zone,
                 "--uri", uri, "--http-method", "POST",
                 "--oauth-service-account-email", invoker,
                 "--description", job.get("description") or f"propcast job {job['name']}"],
                name,
            )
        )
    out.append(
        (
            ["gcloud", "run", "jobs", "deploy", "propcast-backfill", "--image", args.image, *where,
             "--service-account", args.service_account,
             "--set-env-vars", common_env,
             "--tasks", str(args.backfill_tasks), "--parallelism", str(args.backfill_tasks),
             "--max-retries", "1", "--task-timeout", args.task_timeout,
             "--args", "backfill"],
            None,
        )
    )
    return out


def scheduler_exists(name, project, location):
    """Whether the Scheduler job `name` exists already."""
    done = subprocess.run(
        ["gcloud", "scheduler", "jobs", "describe", name, "--project", project, "--location", location],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def main(argv):
    args = parse_args(argv)
    zone, jobs = read_jobs(args.propcast, args.config)
    for argv_, scheduler_name in commands(args, zone, jobs):
        if args.dry_run:
            print(shlex.join(argv_))
            continue
        if scheduler_name and scheduler_exists(scheduler_name, args.project, args.region):
            argv_ = [*argv_[:3], "update", *argv_[4:]]
        print(f"deploy: {shlex.join(argv_)}", file=sys.stderr)
        if subprocess.run(argv_, check=False).returncode != 0:
            sys.exit(f"deploy: `{shlex.join(argv_[:6])}` failed; nothing after it ran")


if __name__ == "__main__":
    main(sys.argv[1:])

# propcast's container image: the host binary, every exporter, the config file with the
# scheduled jobs, and a compile cache filled at build time, on a slim base, run as a non-root
# user. Build from the project's root:
#
#   docker build -t propcast .
#   docker run --rm -e PROPCAST_JOB_NAME=daily-results -e PROPCAST_PROJECT=... \
#       -e PROPCAST_DATASET=nba -e PROPCAST_OUT=gs://bucket/v1-site propcast
#
# The default command is `propcast run`, which runs the job PROPCAST_JOB_NAME names (Cloud Run
# Jobs set it per job: deploy/deploy.py). Any other command can be given after the image name,
# e.g. `backfill --from 2023-10-24 --to 2024-04-14 --game-days` (without PROPCAST_JOB_NAME: it
# also selects the exporters, so `run --only` refuses it). Build on amd64 or with
# `--platform linux/amd64` for Cloud Run.

# The toolchain rust-toolchain.toml pins (with the wasm32-wasip2 target it lists).
FROM rust:1.95.0-slim-trixie AS build
WORKDIR /src
COPY . .
RUN cargo xtask plugins \
    && cargo build --release --package propcast \
    && mkdir -p /out/plugins /out/cache \
    && cp target/release/propcast propcast.toml /out/ \
    && cp target/plugins/*.wasm /out/plugins/ \
    && /out/propcast precompile --plugins /out/plugins --cache-dir /out/cache

FROM debian:trixie-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin propcast
WORKDIR /app
# The compile cache ships in the image, owned by the user: a machine whose CPU differs from the
# build machine's compiles each exporter once and adds its entry.
COPY --from=build --chown=propcast /out/ /app/
USER propcast
# Logs as one JSON object per line, which Cloud Logging reads with their severity.
ENV PROPCAST_PLUGINS=/app/plugins \
    PROPCAST_CACHE_DIR=/app/cache \
    PROPCAST_CONFIG=/app/propcast.toml \
    PROPCAST_SOURCE=bigquery \
    PROPCAST_LOG_FORMAT=json
ENTRYPOINT ["/app/propcast"]
CMD ["run"]

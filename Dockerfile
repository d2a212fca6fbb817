# syntax=docker/dockerfile:1
# backend-api image: `docker build -t backend-api:latest .`
# Build in the official Rust image, run the single binary in distroless/cc (glibc + libgcc only:
# what `ldd target/release/backend-api` needs, checked in CI) as a non-root user.
# Runs with a read-only root filesystem; /data (working directory, SQLite file, development key)
# and /tmp are the only places it writes, mounted as volumes by the Helm chart.

ARG RUST_VERSION=1.95
# The binary links the build image's glibc: keep the build image's Debian release (bookworm = 12)
# the same as the runtime image's (cc-debian12 below).
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src

# 1. Dependencies only: the manifests plus empty targets, so this layer (the slow one) is reused
#    until Cargo.toml or Cargo.lock change. A new workspace member needs its manifest line here.
COPY Cargo.toml Cargo.lock ./
COPY crates/auth/Cargo.toml crates/auth/Cargo.toml
COPY crates/api/Cargo.toml crates/api/Cargo.toml
COPY crates/test-support/Cargo.toml crates/test-support/Cargo.toml
RUN mkdir -p crates/auth/src crates/api/src crates/test-support/src \
    && echo 'fn main() {}' > crates/api/src/main.rs \
    && touch crates/auth/src/lib.rs crates/test-support/src/lib.rs \
    && cargo build --release --locked -p backend-api \
    && rm -rf crates/*/src

# 2. The sources. COPY keeps the files' own timestamps, which may be older than the stub build:
#    touching them makes cargo rebuild the workspace crates rather than reuse the empty stubs.
COPY . .
RUN find crates -name '*.rs' -exec touch {} + \
    && cargo build --release --locked -p backend-api \
    && install -D -m 0755 target/release/backend-api /out/usr/local/bin/backend-api \
    && install -d -m 0755 /out/data

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /out/usr/local/bin/backend-api /usr/local/bin/backend-api
# Owned by the runtime user so `docker run` works without a volume too.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
# distroless's "nonroot", numeric so Kubernetes can verify runAsNonRoot.
USER 65532:65532
ENV HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000
# No shell or curl in this image: the binary probes its own /health.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["backend-api", "healthcheck"]
ENTRYPOINT ["backend-api"]
CMD ["serve"]

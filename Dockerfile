# mcpgen's image: the monitor service runs `/mcpgen monitor …` from it, and every server
# container gets `/opt/mcpgen/mcpgen-helper` (its idle process, health check and session gate)
# through the stack's helper volume, which the engine fills from this image.
#
# Static binaries on an empty base: no shell, no libc, no package manager. They are built on
# the host (no registry is needed, not even for a Rust toolchain image) and copied in;
# `scripts/build-monitor-image` does both steps:
#
#   RUSTFLAGS='-C target-feature=+crt-static' \
#     cargo build --release --target x86_64-unknown-linux-gnu --features runtime \
#       --bin mcpgen --bin mcpgen-helper
#   docker build -t localhost/mcpgen:<version> .
FROM scratch
ARG BINARY_DIR=target/x86_64-unknown-linux-gnu/release
COPY ${BINARY_DIR}/mcpgen /mcpgen
COPY ${BINARY_DIR}/mcpgen-helper /opt/mcpgen/mcpgen-helper
# Non-root; the monitor's compose service adds the engine socket's group with `group_add`.
USER 65532:65532
ENTRYPOINT ["/mcpgen"]
CMD ["monitor", "--help"]

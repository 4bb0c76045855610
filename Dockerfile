# The mcpgen image: the monitor service of every generated stack runs `/mcpgen monitor …` from it.
#
# A static binary on an empty base: no shell, no libc, no package manager — nothing in the image
# but mcpgen. It is built on the host (no registry is needed to build this image, not even for a
# Rust toolchain image) and copied in; `scripts/build-monitor-image` does both steps:
#
#   RUSTFLAGS='-C target-feature=+crt-static' \
#     cargo build --release --target x86_64-unknown-linux-gnu
#   podman build -t localhost/mcpgen:<version> .
FROM scratch
ARG BINARY=target/x86_64-unknown-linux-gnu/release/mcpgen
COPY ${BINARY} /mcpgen
# Non-root; the compose service adds the engine socket's group with `group_add`.
USER 65532:65532
ENTRYPOINT ["/mcpgen"]
CMD ["monitor", "--help"]

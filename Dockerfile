# The roomsync image (SPEC 13): the release binary of scripts/package.sh on a slim Debian with CA certificates,
# run as a user of its own. Build it from the tarball, in this folder:
#   scripts/package.sh && docker build --build-arg VERSION=0.1.0 -t roomsync:0.1.0 .
# Run it with the manifests mounted, e.g.
#   docker run --rm -v "$PWD:/work" -e WECOM_CORP_ID -e WECOM_CORP_SECRET roomsync:0.1.0 plan rooms/
FROM debian:bookworm-slim

# The binary carries Swift, Foundation and libyaml; it needs only the C library (in the base) and the CA
# certificates that WeCom's TLS is checked against.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates=20230311+deb12u1 \
    && rm -rf /var/lib/apt/lists/*

ARG VERSION
ARG ARCH=x86_64
# A local tarball is unpacked by ADD.
ADD dist/roomsync-${VERSION}-linux-${ARCH}.tar.gz /opt/
RUN ln -s "/opt/roomsync-${VERSION}-linux-${ARCH}/roomsync" /usr/local/bin/roomsync \
    && useradd --create-home --uid 10001 --user-group roomsync

USER 10001:10001
WORKDIR /work
ENTRYPOINT ["roomsync"]
CMD ["--help"]

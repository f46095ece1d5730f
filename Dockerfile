# tern-server on Debian 12: a build stage with the toolchain, a runtime
# stage with only the binary and its shared libraries, a non-root user, a
# data volume and a health check on the monitoring port. See docs/deploy.md.
#   docker build -t tern .
#   docker run -p 4222:4222 -p 8080:8080 -p 8222:8222 tern
FROM debian:12 AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      g++ cmake ninja-build pkg-config libfmt-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev \
      zlib1g-dev libssl-dev libboost1.81-dev python3 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTERN_BUILD_TESTS=OFF -DTERN_BUILD_BENCH=OFF \
    && ninja -C /build tern-server tern

FROM debian:12-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libfmt9 libyaml-cpp0.7 libssl3 zlib1g curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tern \
    && mkdir -p /data /etc/tern && chown tern:tern /data
COPY --from=build /build/apps/tern-server /build/apps/tern /usr/local/bin/
USER tern
WORKDIR /data
VOLUME ["/data"]
# client, websocket, monitoring
EXPOSE 4222 8080 8222
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8222/healthz || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/tern-server"]
CMD ["-m", "8222"]

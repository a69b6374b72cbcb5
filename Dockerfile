# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone in a scratch image that runs as a
# non-root user. The final stage takes everything from the "build" stage, so
# a prebuilt binary can stand in for it offline:
#   buildah build --build-context build=<dir> ...   (see docker/verify-image)
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/agentmock ./cmd/agentmock \
 && mkdir -p /out/data \
 && cp /etc/ssl/certs/ca-certificates.crt /out/ca-certificates.crt

FROM scratch
# CA roots: `agentmock contract` can check the real vendor over TLS.
COPY --from=build /out/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/agentmock /usr/local/bin/agentmock
# The database lives on a volume owned by the non-root user, so that data
# survives container restarts.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME ["/data"]
WORKDIR /data
ENV AGENTMOCK_DB=/data/agentmock.db \
    AGENTMOCK_DIGA_ADDR=:3000 \
    AGENTMOCK_ITELLICO_ADDR=:4010
EXPOSE 3000 4010
# 65532 is distroless's "nonroot"; scratch has no /etc/passwd, so it is numeric.
USER 65532:65532
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/agentmock", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/agentmock"]
CMD ["serve"]

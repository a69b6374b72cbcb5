# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone in a distroless, non-root image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/agentmock ./cmd/agentmock

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/agentmock /usr/local/bin/agentmock
# The database lives on a volume so that data survives container restarts.
VOLUME ["/data"]
WORKDIR /data
ENV AGENTMOCK_DB=/data/agentmock.db
EXPOSE 3000 4010
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/agentmock"]
CMD ["serve"]

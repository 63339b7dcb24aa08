# syntax=docker/dockerfile:1
# Web viewer: web/ built with Vite into api/web/dist, which the Go build embeds.
# Node 20 LTS (20.19 or later, which Vite 7 needs), as the README states.
FROM node:20.20-bookworm AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/index.html web/vite.config.js ./
COPY web/src ./src
RUN npm run build

# The map libraries of the monthly pack's offline page, copied by web/pack into
# api/packviewer/files/assets/lib, which the Go build embeds.
FROM node:20.20-bookworm AS packlibs
WORKDIR /src/web/pack
COPY web/pack/package.json web/pack/package-lock.json web/pack/build.mjs ./
RUN npm ci --no-audit --no-fund --omit=dev && npm run build

# Build: a static binary (pure Go, CGO off).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN rm -rf api/web/dist
COPY --from=web /src/api/web/dist ./api/web/dist
COPY --from=packlibs /src/api/packviewer/files/assets/lib ./api/packviewer/files/assets/lib
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mudi ./cmd/mudi \
 && mkdir -p /out/data

# Run: nothing but the binary, as a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mudi /usr/local/bin/mudi
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV MUDI_ADDR=:8080 MUDI_DATA=/data
EXPOSE 8080
VOLUME /data
# No shell or curl in the image: the binary checks GET /healthz on MUDI_ADDR itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/mudi", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/mudi"]
CMD ["serve"]

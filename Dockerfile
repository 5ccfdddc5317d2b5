# Multi-stage: build the one compiled binary, ship it alone on a slim base as a
# non-root user. On a VPS the same binary runs under systemd (see systemd/, deploy/).
# Node 20 (the mongodb driver wants >= 20.19; Debian bookworm ships 18) runs npm; bun, a
# dev dependency, compiles. The binary carries its own runtime: the final stage has no Node.
FROM node:20.19.2-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json bunfig.toml ./
COPY src ./src
COPY views ./views
COPY public ./public
# The Nginx templates the binary renders (`checkin nginx`) are embedded from here.
COPY deploy/nginx ./deploy/nginx
RUN npm run build

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home /var/lib/checkin checkin && mkdir -p /var/lib/checkin && chown checkin /var/lib/checkin
COPY --from=build /src/dist/checkin /usr/local/bin/checkin
USER checkin
WORKDIR /var/lib/checkin
# BUN_JSC_forceRAMSize: the heap sized for one instance, as the systemd unit sets it (README, Configuration).
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3001 BUN_JSC_forceRAMSize=100000000
EXPOSE 3001
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s CMD ["checkin", "healthcheck"]
ENTRYPOINT ["checkin"]
CMD ["serve"]

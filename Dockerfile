# Builds the server from source with the pinned Bun; production on a VPS uses the
# compiled binary under systemd instead (see systemd/ and deploy/).
FROM oven/bun:1.4.5 AS app
WORKDIR /app
COPY package.json package-lock.json bunfig.toml tsconfig.json ./
RUN bun install --production --frozen-lockfile
COPY src ./src
COPY views ./views
COPY public ./public
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3001
EXPOSE 3001
USER bun
HEALTHCHECK --interval=10s --timeout=3s CMD bun -e "fetch('http://127.0.0.1:'+process.env.PORT+'/api/v1/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["bun", "src/main.ts", "serve"]

# Keyturn: multi-stage build. Build with dev dependencies, run the compiled
# bot with production dependencies only, as a non-root user.
#
#   docker build -t keyturn .
#   docker run -d --name keyturn -p 3000:3000 --env-file .env \
#     -v "$PWD/keyturn.yml:/config/keyturn.yml:ro" -v keyturn-data:/data keyturn
#
# Config: /config/keyturn.yml (the working directory is /config, so relative
# `include:` paths resolve next to it); without one it exits saying so: the demo
# (demo/: simulators, their config) is not in the image, it runs from a checkout (npm start).
# Data: /data (the embedded store; unused when DATABASE_URL is set).
# Secrets come from the environment at run time (.env.example lists them):
# none is written into the image. BASE: a Node LTS image (22 or 24) with npm and /bin/sh.
ARG BASE=node:22-bookworm-slim

FROM ${BASE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# The production dependencies: the same install with the dev ones removed (one download, not two). Depends on
# the package files only, so a source change reuses it.
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY adapters ./adapters
RUN npm run build

FROM ${BASE} AS run
# KEYTURN_CONSOLE=off: a container has no terminal; it serves HTTP (and Slack/Discord when their tokens are set) until SIGTERM.
ENV NODE_ENV=production PORT=3000 KEYTURN_DATA_DIR=/data KEYTURN_BACKUP_DIR=/data/backups KEYTURN_CONSOLE=off
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
# dist/ holds the compiled core, adapters and commands (loaded from dist/commands), no demo code
# (test/unit/build/dist-contents.test.ts); packs/ the system packs, to copy next to your keyturn.yml.
COPY --from=build /app/dist ./dist
COPY packs ./packs
# bin/keyturn.js is the `keyturn` command (package.json bin): here it runs dist/ (no sources in the image).
COPY bin ./bin
# uid 1000 is the image's `node` user; numeric so Kubernetes' runAsNonRoot can verify it.
RUN mkdir -p /data /config && chown -R 1000:1000 /data /config \
  && ln -s /app/bin/keyturn.js /usr/local/bin/keyturn
USER 1000:1000
WORKDIR /config
VOLUME ["/data", "/config"]
EXPOSE 3000
# Slim images have no curl: Node's fetch asks the bot's own /healthz (503 when the store is unreachable).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM: stop taking commands, finish running work, deliver queued messages (up to 10 s), exit 0.
# Give it time: `docker stop -t 30`, compose `stop_grace_period: 30s`.
STOPSIGNAL SIGTERM
# The flags of src/node-flags.ts (a smaller young generation: less memory at rest).
CMD ["node", "--max-semi-space-size=2", "/app/dist/src/cli.js", "start"]

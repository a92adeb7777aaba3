# Keyturn: multi-stage build. Build with dev dependencies, run the compiled
# bot with production dependencies only, as a non-root user.
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY adapters ./adapters
COPY systems ./systems
RUN npm run build

FROM ${BASE} AS run
ENV NODE_ENV=production PORT=3000 KEYTURN_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY systems ./systems
RUN mkdir -p /data /config && chown -R node:node /data /config
USER node
VOLUME ["/data", "/config"]
EXPOSE 3000
CMD ["node", "dist/src/cli.js", "start"]

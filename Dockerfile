# syntax=docker/dockerfile:1
# memledger's application image (docs/operations.md, "The image").
#   docker build -t memledger .
#   docker run -p 8080:8080 -v memledger-data:/data memledger
# Two stages: the build stage has the compiler toolchain that better-sqlite3 and
# hnswlib-node need and compiles TypeScript; the runtime stage gets only the
# production node_modules (native modules already built) and dist/, no compiler.

# ---- build ------------------------------------------------------------------
FROM node:20-bookworm AS build
# python3, make and g++ build the native modules (node-gyp).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The node image keeps Node's headers under /usr/local (the repository's .npmrc says /usr, for its own machines).
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json .npmrc ./
# Install scripts off (no model or binary downloads at build), then build only the native modules the engine uses.
RUN npm ci --ignore-scripts \
 && npm rebuild better-sqlite3 hnswlib-node
COPY tsconfig.json tsconfig.build.json ./
COPY domain ./domain
COPY projections ./projections
COPY src ./src
COPY bench ./bench
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts

# ---- runtime ----------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    MEMLEDGER_DATA_DIR=/data \
    MEMLEDGER_HOST=0.0.0.0 \
    MEMLEDGER_PORT=8080
WORKDIR /app
# Owned by root and read-only to the server's user: the process can write only its data volume.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY prompts ./prompts
COPY src/viewer/public ./src/viewer/public
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# Live while the process answers (/health/live); readiness (/health/ready) also asks the log and the job bus.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health/live').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The CLI is in the same image: docker run --rm -v memledger-data:/data memledger node dist/src/cli/main.js --help
CMD ["node", "dist/src/server/main.js"]

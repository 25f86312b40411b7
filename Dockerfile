# Production image: bundled JavaScript (scripts/build.ts), production dependencies only, non-root, and
# nothing written at run time outside /tmp, so it runs with a read-only root filesystem
# (compose `read_only: true`, Kubernetes `readOnlyRootFilesystem: true`).
# The same image runs the BFF (`node dist/main.js`, the default) and the demo services
# (`node dist/demo/main.js`, the demo-services container of docker-compose.yml).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY schema ./schema
# The frontends the BFF serves, built from the clients' generated documents: the web
# app at / (web/dist, WEB_DIST_DIR's default) and the explorer at /graphiql
# (explorer/dist; served only where GRAPHQL_SANDBOX is on).
COPY client ./client
COPY web ./web
COPY explorer ./explorer
RUN npm run build && npm run build:frontends && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/explorer/dist ./explorer/dist
COPY schema ./schema
# The trusted-documents manifest GRAPHQL_TRUSTED_DOCUMENTS=enforce (the production
# default) reads, below the project root (the directory of package.json). To ship operations
# without a rebuild, mount a directory and point GRAPHQL_TRUSTED_DOCUMENTS_FILE into it
# (a single-file bind mount keeps the old inode and would never see a replacement).
COPY client/generated/persisted-documents.json ./client/generated/persisted-documents.json
# package.json marks the project root, which schema/, client/ and the frontends are read from.
COPY package.json ./
# The image's own `node` user (uid 1000), numeric so Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 4000 9464
CMD ["node", "dist/main.js"]

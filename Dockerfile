# Production image: compiled JavaScript, production dependencies only, non-root.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schema ./schema
# The web app the BFF serves at / (web/dist, WEB_DIST_DIR's default), built from the
# clients' generated documents.
COPY client ./client
COPY web ./web
RUN npm run build && npm run build:web && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY schema ./schema
# The trusted-documents manifest GRAPHQL_TRUSTED_DOCUMENTS=enforce (the production
# default) reads; dist/config resolves it as ../../client/generated/. To ship operations
# without a rebuild, mount a directory and point GRAPHQL_TRUSTED_DOCUMENTS_FILE into it
# (a single-file bind mount keeps the old inode and would never see a replacement).
COPY client/generated/persisted-documents.json ./client/generated/persisted-documents.json
COPY package.json ./
USER node
EXPOSE 4000
CMD ["node", "dist/main.js"]

# spider-bench CPU worker: scores submissions (BullMQ queues on Redis).
# Build from the repository root: docker build -f docker/worker.Dockerfile -t spider-bench/worker .
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
COPY packages ./packages
COPY apps ./apps
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY bin ./bin
# Full install: `prisma generate` (postinstall) needs the prisma CLI, a dev dependency.
RUN npm ci && npm cache clean --force

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY --from=deps /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
ENTRYPOINT ["node", "bin/spider-bench.js"]
CMD ["worker"]

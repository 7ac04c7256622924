# spider-bench API (and, with another command, the CPU scoring worker).
# Build from the repository root: docker build -f docker/api.Dockerfile -t spider-bench/api .
# Node.js: the current LTS by default; 22 and 20 (end of life, what the tests run on) with
# --build-arg NODE_VERSION=22 or 20.
ARG NODE_VERSION=24
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
COPY packages ./packages
COPY apps ./apps
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY bin ./bin
COPY scripts ./scripts
# Full install (postinstall: `prisma generate`, which needs the prisma CLI, a dev dependency; the
# web pages; the server build), the build once more so that its failure fails the image, a check
# that the compiled CLI starts without tsx, then the dev dependencies (TypeScript, Vite, vitest,
# the prisma CLI) go: the runtime stage runs `node` on the compiled code (packages/*/dist, apps/*/dist).
RUN npm ci \
 && npm run build \
 && SPIDER_BENCH_RUNTIME=build node bin/spider-bench.js --version \
 && npm prune --omit=dev --ignore-scripts \
 && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data PORT=3000 HOST=0.0.0.0
# The compiled build only: never tsx, no check against sources (bin/spider-bench.js).
ENV SPIDER_BENCH_RUNTIME=build
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/spider-bench.js"]
CMD ["serve", "--api-only"]

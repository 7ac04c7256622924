# spider-bench GPU inference worker: runs algorithm submissions (ONNX models) on the hidden
# test series with onnxruntime-node's CUDA execution provider, and scores like the CPU worker.
# Build from the repository root:
#   docker build -f docker/gpu-worker.Dockerfile -t spider-bench/gpu-worker .
# Run (one container per GPU; one model per GPU at a time):
#   docker run --gpus '"device=0"' -e DATABASE_URL=... -e REDIS_URL=... -v data:/data spider-bench/gpu-worker
#
# onnxruntime-node 1.30 ships its CPU (and WebGPU) binaries in the npm package; the CUDA EP
# libraries are downloaded by its install script when ONNXRUNTIME_NODE_INSTALL=cuda12. The
# repository's .npmrc skips that download for CPU machines; the environment variable below
# takes precedence over it, so the CUDA libraries are fetched here, at image build time.
# The runtime image provides CUDA 12 and cuDNN 9, which that EP links against.

# Node.js: the current LTS by default; 22 and 20 (end of life, what the tests run on) with
# --build-arg NODE_VERSION=22 or 20.
ARG NODE_VERSION=24
FROM node:${NODE_VERSION}-bookworm-slim AS node

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS build
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=cuda12
COPY package.json package-lock.json .npmrc ./
COPY packages ./packages
COPY apps ./apps
COPY prisma ./prisma
COPY prisma.config.ts ./
COPY bin ./bin
COPY scripts ./scripts
# Full install (postinstall: prisma generate, which needs the prisma CLI; the web pages; the
# server build). Fails the build if the CUDA EP is missing. Then the build once more (its failure
# fails the image) and a check that the compiled CLI starts without tsx: the runtime stage runs
# `node` on the compiled code (packages/*/dist, apps/*/dist). The dev dependencies stay, unlike in
# the CPU images, for scripts/device-check.sh (the inference benchmark, run from the sources).
RUN npm ci && npm cache clean --force \
 && ls node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ | grep -q libonnxruntime_providers_cuda.so \
 || (echo "onnxruntime-node CUDA execution provider libraries were not installed" >&2 && exit 1)
RUN npm run build && SPIDER_BENCH_RUNTIME=build node bin/spider-bench.js --version

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
COPY --from=build /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data INFERENCE_PROVIDERS=cuda,cpu
# The compiled build only: never tsx, no check against sources (bin/spider-bench.js).
ENV SPIDER_BENCH_RUNTIME=build
COPY --from=build /app /app
RUN useradd --create-home --uid 10001 spider && mkdir -p /data && chown spider:spider /data
USER spider
VOLUME ["/data"]
ENTRYPOINT ["node", "bin/spider-bench.js"]
CMD ["worker", "--inference"]

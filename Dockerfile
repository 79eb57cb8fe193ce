# syntax=docker/dockerfile:1
# One MatrixInfer image for every process: `mi controller --kubernetes`, `mi-gateway`,
# `mi webhook`, `mi-engine-sim`. TypeScript runs through tsx (a runtime dependency), so there is
# no compile step: the build stage only installs production dependencies.
#   docker build -t <registry>/matrixinfer:<tag> .      (docs/kubernetes.md, "Images")
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The lock file and every workspace's package.json: npm ci refuses a workspace it cannot see.
COPY package.json package-lock.json ./
COPY schemas/ schemas/
COPY events/ events/
COPY control-plane/ control-plane/
COPY engine-sim/ engine-sim/
COPY data-plane/ data-plane/
COPY k8s/ k8s/
# e2e is a workspace of the lock file, but none of its code runs in the image.
COPY e2e/package.json e2e/
COPY examples/ examples/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH
WORKDIR /app
COPY --from=build /app /app
# Numeric user (the image's `node` user), so the kubelet can check runAsNonRoot.
USER 1000:1000
# gateway, control-plane API, admission webhooks
EXPOSE 8080 8090 9443
ENTRYPOINT ["mi"]
CMD ["--help"]

# vitictl as a container image, for `vitictl perf job` (an Indexed Job of load generators).
# Build it yourself:  docker build -t vitictl:0.1.0 .   (then push it where your cluster pulls from)
# The image runs every command except `vitictl lab` (the lab builds Kubernetes from source).

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NO_UPDATE_NOTIFIER=1
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY scenarios ./scenarios
COPY profiles ./profiles
COPY crds ./crds
# the node image's unprivileged user (uid 1000, as the Job's securityContext expects)
USER node
ENTRYPOINT ["node", "/app/bin/vitictl.js"]
CMD ["--help"]

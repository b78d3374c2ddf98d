# tdcrowd relay image: the production set-up of README ("Production set-up"), two of these behind a TLS proxy
# sharing one Redis (deploy/compose.yaml). Build from the repository root: docker build -t tdcrowd .

# 1. Build: dev dependencies (TypeScript) compile src/ to dist/.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; the build is the next step.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# 2. Runtime dependencies only.
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. What runs: dist/, the page's static files (read from src/web/static), the templates for `generate`.
FROM node:20-slim
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
COPY src/web/static ./src/web/static
COPY templates ./templates
# Files stay root-owned and read-only to the process; it runs as the image's unprivileged user.
USER node
EXPOSE 8080
# /healthz answers 200 while the relay is alive (its body says "degraded" while no sink listens: still alive).
# node:20-slim has no curl; Node 20's fetch does the check.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
# The port comes from PORT (no --port here, so a platform that sets PORT is obeyed).
CMD ["relay", "--host", "0.0.0.0", "--status-interval", "60"]

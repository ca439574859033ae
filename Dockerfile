# One image for the API and the worker (docker-compose.yml picks the command).
# Plain `npm ci` (not --omit=dev): the services run TypeScript through tsx, and the lockfile pins everything.
FROM node:20-slim

WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json knexfile.js ./
COPY migrations ./migrations
COPY src ./src

# Set after `npm ci`, which would otherwise skip devDependencies.
ENV NODE_ENV=production
USER node
EXPOSE 3000
CMD ["npm", "run", "start:api"]

/** The head of the deploy.yml the plan tests share: service, image, a registry with a secret password, the builder. */
export const PROJECT_HEAD = `service: app
image: acme/app
registry:
  server: registry.test:5443
  username: deployer
  password: [KAMAL_REGISTRY_PASSWORD]
builder:
  arch: amd64
`;

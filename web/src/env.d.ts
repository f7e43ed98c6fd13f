// Side-effect imports that esbuild bundles.
declare module "*.css";

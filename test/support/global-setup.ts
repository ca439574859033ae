// Placeholder; replaced by the lead with the real services setup.
export default async function globalSetup(): Promise<void> {}

import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/** Where `npm start` serves the API; `npm run dev` forwards the API calls there. */
const API = 'http://127.0.0.1:8080'

// The server serves the built files at /console, so every asset URL starts there.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/api': API, '/engine-admin': API } },
})

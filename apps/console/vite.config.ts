import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The server serves the built files at /console, so every asset URL starts there.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
})

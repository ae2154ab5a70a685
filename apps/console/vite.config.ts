import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/** Where `npm start` serves the API; `npm run dev` forwards the API calls there. */
const API = 'http://127.0.0.1:8080'

// The server serves the built files at /console, so every asset URL starts there.
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      output: {
        // The libraries in chunks of their own: they change less often than the app, so a
        // browser keeps them cached across console updates.
        manualChunks(id: string) {
          if (!id.includes('node_modules')) return undefined
          if (/[\\/](@xyflow|@dagrejs)[\\/]/.test(id)) return 'graph'
          if (/[\\/](@mui|@emotion)[\\/]/.test(id)) return 'mui'
          if (/[\\/](react-admin|ra-[a-z-]+|@tanstack|react-hook-form)[\\/]/.test(id))
            return 'react-admin'
          return 'vendor'
        },
      },
    },
  },
  server: { proxy: { '/api': API, '/engine-admin': API } },
})

// Entry point: pick the transport (Electron preload or serve WebSocket),
// build the stores, connect the mirror to main's events (it says `ready`), render.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { ServicesContext, type Services } from './app/services.ts';
import { createApi } from './bridge/api.ts';
import { createTransport } from './bridge/index.ts';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { createMirrorStore } from './store/mirror-store.ts';
import { createRouteStore } from './store/route-store.ts';
import { connectMirror } from './store/sync.ts';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/views.css';

const { bridge, connection } = createTransport(window);
const api = createApi(bridge);
const mirror = createMirrorStore({ requestSnapshot: () => api.ready({}) });
const route = createRouteStore(window);
connectMirror(bridge, mirror, connection);

const services: Services = { api, bridge, mirror, route, connection };
const container = document.getElementById('root');
if (!container) throw new Error('#root is missing from index.html');

createRoot(container).render(
  <StrictMode>
    <ErrorBoundary>
      <ServicesContext value={services}>
        <App />
      </ServicesContext>
    </ErrorBoundary>
  </StrictMode>,
);

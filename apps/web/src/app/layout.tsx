import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { TopBar } from '../components/TopBar';
import { TRPCReactProvider } from '../trpc/client';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'MeterOps', template: '%s · MeterOps' },
  description: 'Smart-meter data platform and operations portal',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <TRPCReactProvider>
          <TopBar />
          <main id="main" className="page" tabIndex={-1}>
            {children}
          </main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}

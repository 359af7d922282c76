import type { ReactNode } from 'react';
import { OpsNav } from '../../components/ops/OpsNav';

/** Every operations page checks the role itself (`requireRole`); the layout only adds the section's navigation. */
export default function OpsLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <OpsNav />
      {children}
    </>
  );
}

'use client';

import { useState } from 'react';
import { Segmented } from '../ui/Segmented';
import { BillingPeriodsSection } from './BillingPeriodsSection';
import { CustomersSection } from './CustomersSection';
import { MetersSection } from './MetersSection';
import { SuppliersSection } from './SuppliersSection';
import { TariffsSection } from './TariffsSection';

const registryParts = [
  { value: 'meters', label: 'Meters' },
  { value: 'customers', label: 'Customers' },
  { value: 'tariffs', label: 'Tariffs' },
  { value: 'billingPeriods', label: 'Billing periods' },
  { value: 'suppliers', label: 'Suppliers' },
] as const;
type Part = (typeof registryParts)[number]['value'];

/**
 * The registry, one part at a time. `canEdit` only decides which controls are drawn: every procedure
 * checks the caller's role on the server, so a read-only view cannot be turned into an editing one.
 */
export function RegistryBrowser({ canEdit }: { canEdit: boolean }) {
  const [part, setPart] = useState<Part>('meters');
  return (
    <>
      <Segmented label="Registry part" hideLabel value={part} options={registryParts} onChange={setPart} />
      {part === 'meters' ? <MetersSection canEdit={canEdit} /> : null}
      {part === 'customers' ? <CustomersSection canEdit={canEdit} /> : null}
      {part === 'tariffs' ? <TariffsSection canEdit={canEdit} /> : null}
      {part === 'billingPeriods' ? <BillingPeriodsSection canEdit={canEdit} /> : null}
      {part === 'suppliers' ? <SuppliersSection canEdit={canEdit} /> : null}
    </>
  );
}

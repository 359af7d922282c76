import type { Metadata } from 'next';
import { PageHeader } from '../../components/PageHeader';
import { StatusBoard } from './StatusBoard';

export const metadata: Metadata = { title: 'System status' };

export default function StatusPage() {
  return (
    <>
      <PageHeader title="System status">Whether the services MeterOps runs on answer the web app.</PageHeader>
      <StatusBoard />
    </>
  );
}

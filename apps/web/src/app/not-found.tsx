import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="panel">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link href="/" className="button">
        Go to your start page
      </Link>
    </div>
  );
}

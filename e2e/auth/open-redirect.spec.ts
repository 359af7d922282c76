/**
 * The `next` parameter of the sign-in page can only send a user to a page of this site, whatever an
 * attacker writes into a sign-in link (issue 12, finding 1). Each value below is what `?next=` decodes to;
 * browsers drop tab, CR and LF from URLs and read `\` as `/`, so most of them name another host.
 */
import { credentialsFor } from '../env';
import { expect, fillSignInForm, homeOf, test } from '../fixtures';

const hostileNext = [
  '/\t/evil.example',
  '/\r\n/evil.example',
  '/\\evil.example',
  '//evil.example',
  'https://evil.example/',
  'javascript:alert(document.domain)',
  '/.//evil.example',
];

for (const next of hostileNext) {
  test(`signing in with next=${JSON.stringify(next)} stays on the site`, async ({ page, baseURL }) => {
    const site = new URL(baseURL ?? page.url()).origin;
    // Any request that leaves the site fails the test, and is never sent.
    const offSite: string[] = [];
    await page.route(
      (url) => url.origin !== site,
      (route) => {
        offSite.push(route.request().url());
        return route.abort();
      },
    );

    await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
    await expect(page.getByRole('heading', { name: 'Sign in to MeterOps' })).toBeVisible();
    const { email, password } = credentialsFor('operator');
    await fillSignInForm(page, email, password);

    await page.waitForURL((url) => url.origin === site && url.pathname === homeOf.operator);
    await expect(page.getByRole('heading', { level: 1, name: 'Operations' })).toBeVisible();
    expect(offSite).toEqual([]);

    // Signed in, the sign-in page redirects at once on the server: the same check applies there.
    await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
    await page.waitForURL((url) => url.origin === site && url.pathname === homeOf.operator);
    expect(offSite).toEqual([]);
  });
}

test('a same-site next still brings the user back to the page they asked for', async ({ page }) => {
  await page.goto(`/sign-in?next=${encodeURIComponent('/ops/pipeline')}`);
  const { email, password } = credentialsFor('operator');
  await fillSignInForm(page, email, password);
  await page.waitForURL((url) => url.pathname === '/ops/pipeline');
});

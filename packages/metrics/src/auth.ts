/** How a client proves who it is to InfluxDB. */
export interface InfluxCredentials {
  /** Sent as `Authorization: Token …` (InfluxDB 2.x and 3.x, and 1.8+ as `username:password`). */
  token?: string;
  /**
   * An InfluxDB 1.x user (`auth-enabled = true`), sent as HTTP basic auth, which every 1.x release
   * accepts (1.6.7 here does not know the `Token` scheme) and 2.x's v1 endpoints accept too.
   */
  username?: string;
  password?: string;
}

/** The `Authorization` header value for the credentials, or undefined for an InfluxDB without auth. */
export function influxAuthorization(credentials: InfluxCredentials): string | undefined {
  const { token, username, password } = credentials;
  if (token && username) throw new Error('give InfluxDB a token or a username and password, not both');
  if (token) return `Token ${token}`;
  if (username === undefined && password === undefined) return undefined;
  if (!username || password === undefined) throw new Error('an InfluxDB username needs its password');
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

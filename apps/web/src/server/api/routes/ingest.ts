/**
 * Readings over HTTP, for a head-end without Kafka: the body is one message of the readings contract
 * (docs/message-contract.md), published as it is to the readings topic, so the worker validates it like
 * any producer's message. The answer is 202 with the submission's id; its outcome (stored, rejected with
 * the rule, or pending) is looked up by the Kafka position recorded with it.
 */
import { createRoute } from '@hono/zod-openapi';
import { recordReadingSubmission, readingSubmissionOutcome } from '@meterops/db/queries/api-keys';
import { MAX_READINGS_PER_MESSAGE, readingMessageSchema } from '@meterops/domain/contract';
import { createMiddleware } from 'hono/factory';
import { z } from '@hono/zod-openapi';
import { ApiProblem, type ApiApp, type ApiContext } from '../app-types';
import { iso, json, problems } from '../route-kit';
import { acceptedSubmissionSchema, submissionSchema } from '../schemas';
import { problem, problemResponse } from '../problem';

/** Largest body accepted: 2,000 readings take about 100 KB; the broker's default message limit is 1 MiB. */
export const MAX_READINGS_BODY_BYTES = 512 * 1024;

/** The message contract as the body; the item limit is answered 413 before validation (below). */
const readingsBody = readingMessageSchema
  .extend({ readings: readingMessageSchema.shape.readings.unwrap().array().min(1) })
  .openapi('ReadingMessage');

/**
 * 413 for a body over the byte limit (by Content-Length, and by what was read) or over the contract's
 * item limit, before the body is validated; the rest of the refusals are the validator's 400/422.
 */
const sizeLimit = createMiddleware(async (c, next) => {
  const tooLarge = (detail: string) => problemResponse(problem('payload-too-large', 413, detail));
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_READINGS_BODY_BYTES)
    return tooLarge(`The body may have at most ${MAX_READINGS_BODY_BYTES} bytes.`);
  const text = await c.req.text();
  if (Buffer.byteLength(text, 'utf8') > MAX_READINGS_BODY_BYTES)
    return tooLarge(`The body may have at most ${MAX_READINGS_BODY_BYTES} bytes.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return problemResponse(
      problem('invalid-request', 400, 'The body is not JSON.', [
        { in: 'body', path: '/', message: 'Malformed JSON' },
      ]),
    );
  }
  const readings = (parsed as { readings?: unknown } | null)?.readings;
  const count = Array.isArray(readings) ? readings.length : 0;
  if (count > MAX_READINGS_PER_MESSAGE)
    return tooLarge(
      `A message may carry at most ${MAX_READINGS_PER_MESSAGE} readings; this one has ${count}. Split it.`,
    );
  await next();
});

export function registerIngestRoutes(app: ApiApp, ctx: ApiContext): void {
  const { db, sql, requireScope, publishReadings } = ctx;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/readings',
      tags: ['Readings'],
      summary: 'Deliver readings (the meter.readings message contract) over HTTP',
      description: `Published to the readings topic keyed by meterId and validated by the worker like any message. At most ${MAX_READINGS_PER_MESSAGE} readings and ${MAX_READINGS_BODY_BYTES} bytes (413 beyond).`,
      middleware: [requireScope('readings:write'), sizeLimit] as const,
      request: { body: { content: { 'application/json': { schema: readingsBody } }, required: true } },
      responses: {
        202: json(acceptedSubmissionSchema, 'Published; look the outcome up at location'),
        ...problems(400, 401, 403, 413, 422, 429),
      },
    }),
    async (c) => {
      const message = c.req.valid('json');
      const key = c.get('apiKey');
      const published = await publishReadings({ key: message.meterId, value: await c.req.text() });
      const submission = await recordReadingSubmission(db, {
        apiKeyId: key.id,
        meterId: message.meterId,
        intervalStarts: message.readings.map((reading) => new Date(reading.intervalStart)),
        topic: published.topic,
        partition: published.partition,
        kafkaOffset: published.offset,
      });
      const location = `/api/v1/readings/submissions/${submission.id}`;
      c.header('location', location);
      return c.json(
        { id: submission.id, status: 'pending' as const, items: message.readings.length, location },
        202,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readings/submissions/{submissionId}',
      tags: ['Readings'],
      summary: 'Outcome of a delivery: each reading stored, rejected (with the rule) or pending',
      middleware: [requireScope('readings:write')] as const,
      request: {
        params: z.object({
          submissionId: z
            .string()
            .uuid()
            .openapi({ param: { name: 'submissionId', in: 'path' } }),
        }),
      },
      responses: { 200: json(submissionSchema, 'The outcome'), ...problems(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const { submissionId } = c.req.valid('param');
      const outcome = await readingSubmissionOutcome(sql, { id: submissionId, apiKeyId: c.get('apiKey').id });
      if (outcome === null) throw ApiProblem.notFound(`There is no submission ${submissionId} of this key.`);
      return c.json(
        {
          id: outcome.id,
          meterId: outcome.meterId,
          submittedAt: iso(outcome.submittedAt),
          status: outcome.status,
          items: outcome.items.map((item) => ({ ...item, intervalStart: iso(item.intervalStart) })),
        },
        200,
      );
    },
  );
}

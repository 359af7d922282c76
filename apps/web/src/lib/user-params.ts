/** Inputs of the users page, shared by the procedures and the forms. Safe for client components. */
import { z } from 'zod';

export const roles = ['operator', 'agent', 'admin', 'customer'] as const;
export const roleSchema = z.enum(roles);

export const customerIdSchema = z
  .string()
  .trim()
  .min(1, 'Enter the customer id')
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'Letters, digits and . _ : - only');

/** A customer user sees exactly one customer; staff see none. */
function bindingMatchesRole(
  value: { role: (typeof roles)[number]; customerId?: string | null },
  ctx: z.RefinementCtx,
) {
  const bound = value.customerId !== undefined && value.customerId !== null && value.customerId !== '';
  if (value.role === 'customer' && !bound) {
    ctx.addIssue({
      code: 'custom',
      path: ['customerId'],
      message: 'A customer account must be bound to a customer',
    });
  }
  if (value.role !== 'customer' && bound) {
    ctx.addIssue({
      code: 'custom',
      path: ['customerId'],
      message: 'Only customer accounts are bound to a customer',
    });
  }
}

export const createUserSchema = z
  .object({
    email: z.email('Enter an email address').trim().toLowerCase().max(254),
    name: z.string().trim().min(2, 'Enter a name of at least 2 characters').max(100),
    password: z.string().min(12, 'At least 12 characters').max(256, 'At most 256 characters'),
    role: roleSchema,
    customerId: customerIdSchema.nullable().optional(),
  })
  .superRefine(bindingMatchesRole);

export const setRoleSchema = z
  .object({
    id: z.uuid(),
    role: roleSchema,
    customerId: customerIdSchema.nullable().optional(),
  })
  .superRefine(bindingMatchesRole);

/** Bounded so that a huge body cannot be fed to the password hash; the strength rule is checked on the server. */
const passwordInput = (missing: string) => z.string().min(1, missing).max(1_024, 'At most 1024 characters');

export const changePasswordSchema = z
  .object({
    currentPassword: passwordInput('Enter your current password'),
    newPassword: passwordInput('Enter a new password'),
    confirmPassword: passwordInput('Enter the new password again'),
  })
  .refine((value) => value.newPassword === value.confirmPassword, {
    path: ['confirmPassword'],
    message: 'The two new passwords differ',
  });

/** Without `password`, the server generates a temporary one and shows it to the administrator once. */
export const resetPasswordSchema = z.object({
  id: z.uuid(),
  password: passwordInput('Enter a temporary password, or let one be generated').optional(),
});

/**
 * ZTNA broker configuration (owned by ztna-broker/; filled in by the broker work).
 */
import { z } from 'zod';

export const brokerSection = z.strictObject({
  enabled: z.boolean().default(false),
});
export type BrokerConfig = z.infer<typeof brokerSection>;

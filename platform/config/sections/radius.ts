/**
 * RADIUS bridge configuration (owned by radius-bridge/; filled in by the RADIUS work).
 */
import { z } from 'zod';

export const radiusSection = z.strictObject({
  enabled: z.boolean().default(false),
});
export type RadiusConfig = z.infer<typeof radiusSection>;

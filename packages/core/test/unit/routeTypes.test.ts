import {
  type HandleOptions,
  type ProgressStreamRoute,
  progressStreamRoute,
} from '@docspasta/progress-core'
import { expect, expectTypeOf, it } from 'vitest'

// Routers read `:crawlId` from the route's literal type (Express's req.params, Hono's
// c.req.param), so the pattern must keep it; checked by tsc, also with exactOptionalPropertyTypes.
it('types the route pattern as its literal, with or without a trailing slash', () => {
  expectTypeOf(progressStreamRoute()).toEqualTypeOf<'/api/crawl-v2/:crawlId/stream'>()
  expectTypeOf(progressStreamRoute('/progress/')).toEqualTypeOf<'/progress/:crawlId/stream'>()
  expectTypeOf<ProgressStreamRoute<'/a'>>().toEqualTypeOf<'/a/:crawlId/stream'>()
  expect(progressStreamRoute('/progress/')).toBe('/progress/:crawlId/stream')
  // A router's parameter may be typed `string | undefined`: handle() takes it as it is.
  expectTypeOf<{ crawlId: string | undefined }>().toExtend<HandleOptions>()
})

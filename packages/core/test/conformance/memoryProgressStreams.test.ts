import { MemoryProgressService } from '@docspasta/progress-core'
import { describeProgressStreamConformance } from '@docspasta/progress-testing'

describeProgressStreamConformance({
  name: 'MemoryProgressService',
  create: (options) => new MemoryProgressService(options),
})

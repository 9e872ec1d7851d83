import { MemoryProgressService } from '@docspasta/progress-core'
import { describeProgressServiceConformance } from '@docspasta/progress-core/testing'

describeProgressServiceConformance({
  name: 'MemoryProgressService',
  create: (options) => new MemoryProgressService(options),
})

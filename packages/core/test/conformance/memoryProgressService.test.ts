import { MemoryProgressService } from '@docspasta/progress-core'
import { describeProgressServiceConformance } from '@docspasta/progress-testing'

describeProgressServiceConformance({
  name: 'MemoryProgressService',
  create: (options) => new MemoryProgressService(options),
})

// An error in Chinese with a 重试 button; the page decides what a retry does (bind:retry).
Component({
  properties: {
    message: { type: String, value: '' },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry')
    },
  },
})

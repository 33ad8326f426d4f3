// 热点政策: urgent articles valid now for the driver's region, from the place picked on the map or a chosen
// province/city (<picker mode="region">), newest first, each with its region and validity.
const REGION_KEY = 'hotline_policy_region'

Component({
  data: { region: '', place: '', policies: [], loaded: false, error: '', open: -1, regionValue: [] },

  methods: {
    onLoad() {
      this.api = getApp().api
      const saved = wx.getStorageSync(REGION_KEY) || {}
      this.setData({ region: saved.region || '', place: saved.place || '', regionValue: saved.value || [] })
      return this.load()
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh())
    },

    onRetry() {
      return this.load()
    },

    async load() {
      this.setData({ error: '' })
      try {
        const where = this.data.region ? { region: this.data.region } : this.data.place ? { place: this.data.place } : {}
        const body = await this.api.policies(where)
        this.setData({ policies: body.policies, region: body.region || this.data.region, loaded: true, open: -1 })
      } catch (error) {
        this.setData({ error: error.message || '加载失败，请重试' })
      }
    },

    remember() {
      wx.setStorageSync(REGION_KEY, { region: this.data.region, place: this.data.place, value: this.data.regionValue })
    },

    // province / city from WeChat's own region picker: ["河南省", "新乡市", "红旗区"] -> 河南省新乡市
    onRegion(e) {
      const value = e.detail.value || []
      const [province, city] = value
      const region = province + (city && city !== province && city !== '全部' ? city : '')
      this.setData({ region, place: '', regionValue: value })
      this.remember()
      return this.load()
    },

    onLocate() {
      return new Promise((resolve) => {
        wx.chooseLocation({
          success: (res) => {
            this.setData({ place: [res.address, res.name].filter(Boolean).join(' ').slice(0, 200), region: '' })
            this.remember()
            resolve(this.load())
          },
          fail: () => resolve(null),
        })
      })
    },

    onToggle(e) {
      const index = Number(e.currentTarget.dataset.index)
      this.setData({ open: this.data.open === index ? -1 : index })
    },
  },
})

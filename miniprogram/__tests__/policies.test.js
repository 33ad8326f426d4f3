const { simulate, openPage, texts } = require('./pages')

const POLICIES = {
  region: '河南省新乡市',
  policies: [
    { id: 3, title: '新乡市区货车限行调整', region: '河南省新乡市', validity: '长期有效', source: '新乡市交通运输局', published: '', summary: '自12月1日起…', body: '自12月1日起，全文。' },
    { id: 2, title: '河南省高速公路冬季施工绕行', region: '河南省', validity: '有效期至2026年12月31日', source: '河南省交通运输厅', published: '2026-11-20', summary: 'S…', body: 'S全文' },
  ],
}

test('热点政策 for a province/city from the region picker, with region and validity, remembered', async () => {
  const api = { policies: jest.fn(async () => POLICIES) }
  const page = await openPage('pages/policies/index', { api })
  expect(api.policies).toHaveBeenLastCalledWith({}) // no region yet: all urgent ones
  page.instance.onRegion({ detail: { value: ['河南省', '新乡市', '全部'] } })
  await simulate.sleep(0)
  expect(api.policies).toHaveBeenLastCalledWith({ region: '河南省新乡市' })
  expect(texts(page, '.title')).toEqual(['新乡市区货车限行调整', '河南省高速公路冬季施工绕行'])
  expect(texts(page, '.tag')).toEqual(['河南省新乡市', '长期有效', '河南省', '有效期至2026年12月31日'])
  expect(page.querySelector('.current').dom.textContent).toBe('当前地区：河南省新乡市')
  page.querySelectorAll('.policy')[0].dispatchEvent('tap')
  await simulate.sleep(0)
  expect(texts(page, '.body')).toEqual(['自12月1日起，全文。'])
  expect(wx.store.hotline_policy_region.region).toBe('河南省新乡市')
})

test('热点政策 from the place picked on the map; an error offers 重试', async () => {
  const api = { policies: jest.fn() }
  api.policies
    .mockResolvedValueOnce({ region: '', policies: [] })
    .mockRejectedValueOnce(new Error('服务暂时不可用，请稍后重试'))
    .mockResolvedValueOnce(Object.assign({}, POLICIES, { region: '河南省郑州市', policies: [] }))
  const page = await openPage('pages/policies/index', { api })
  wx.chooseLocation.mockImplementation((o) => o.success({ address: '河南省郑州市金水区', name: '郑州东站' }))
  await page.instance.onLocate()
  expect(api.policies).toHaveBeenLastCalledWith({ place: '河南省郑州市金水区 郑州东站' })
  expect(page.instance.data.error).toBe('服务暂时不可用，请稍后重试')
  await page.instance.onRetry()
  await simulate.sleep(0)
  expect(page.instance.data.region).toBe('河南省郑州市')
  expect(page.querySelector('.empty').dom.textContent).toBe('本地区暂无生效的热点政策')
})

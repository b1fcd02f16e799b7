"""zinv_tui.api"""
